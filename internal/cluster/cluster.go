// Package cluster runs what Plaudit's deployments run, for tests: a
// three-node NATS JetStream cluster on loopback (real nats-server
// processes, built from the version go.mod requires), secured as
// deploy/nats's are, and plauditd processes joined to it. A test can kill
// a node (SIGKILL), stop one gracefully, start it again, find the leader
// of a stream, and cut a node's routes to the others (a network
// partition) and restore them. It is for tests only: nothing in
// production imports it.
//
// The nodes are configured as deploy/nats/node-N.conf are: the servers
// trust the operator of "plauditd nats-init"'s keys (a full account
// resolver each), clients and routes speak TLS, and routes authenticate
// each other by certificate. Two things differ, for the tests' sake:
// ports are free ones picked at start, and each node reaches each other
// through a relay of the harness (see Partition), which is why a node
// advertises no address of its own to its peers.
package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// Size is the number of nodes of a cluster.
const Size = 3

// Name is the cluster's name, as in deploy/nats.
const Name = "plaudit"

// Cluster is a running three-node JetStream cluster. Its methods are safe
// for concurrent use; node indexes are 0, 1 and 2.
type Cluster struct {
	// Dir holds the configuration, keys, TLS files and every node's data.
	Dir string
	// KeysDir holds the NATS operator and account keys, as "plauditd
	// nats-init --keys" makes them: pass it to plauditd as --nats-keys.
	KeysDir string
	// CAFile is the PEM file of the CA of the nodes' certificates: pass it
	// to plauditd as --nats-ca.
	CAFile string
	Keys   *natsauth.Keys

	bin   string
	nodes [Size]*Node
	// links[i][j] carries node i's routes to node j.
	links [Size][Size]*routeProxy
}

// Node is one nats-server of the cluster.
type Node struct {
	Name       string // server_name, as stream info names leaders
	ClientAddr string // 127.0.0.1:port
	httpAddr   string
	conf       string
	dir        string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// Start builds (or finds) nats-server, writes the keys and the nodes'
// configuration into a temporary directory and starts the three nodes; it
// returns once each answers as healthy with JetStream on. Every process
// is killed when the test ends.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	c := &Cluster{Dir: tb.TempDir(), bin: NATSServer(tb)}
	c.KeysDir = filepath.Join(c.Dir, "keys")
	keys, err := natsauth.LoadOrCreate(c.KeysDir)
	if err != nil {
		tb.Fatal(err)
	}
	c.Keys = keys
	// What "plauditd nats-init --server-config" writes.
	auth, err := natsauth.ServerConfig(keys)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "auth.conf"), []byte(auth), 0o644); err != nil {
		tb.Fatal(err)
	}
	tlsf, err := writeTLS(c.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	c.CAFile = tlsf.CA

	// The relays listen first: a port picked for a node is free only
	// until the node listens on it, and a relay's could be that one.
	for i := range Size {
		for j := range Size {
			if i == j {
				continue
			}
			p, err := newRouteProxy()
			if err != nil {
				tb.Fatal(err)
			}
			c.links[i][j] = p
		}
	}
	for i := range Size {
		c.nodes[i] = &Node{Name: fmt.Sprintf("n%d", i+1), dir: filepath.Join(c.Dir, fmt.Sprintf("n%d", i+1))}
	}
	tb.Cleanup(func() {
		for i := range Size {
			c.nodes[i].kill()
		}
		for i := range Size {
			for j := range Size {
				if p := c.links[i][j]; p != nil {
					p.Close()
				}
			}
		}
		if tb.Failed() {
			for _, n := range c.nodes {
				tb.Logf("%s (%s) log tail:\n%s", n.Name, n.ClientAddr, tailFile(filepath.Join(n.dir, "nats.log"), 3000))
			}
		}
	})
	for i, n := range c.nodes {
		if err := os.MkdirAll(n.dir, 0o700); err != nil {
			tb.Fatal(err)
		}
		n.conf = filepath.Join(c.Dir, n.Name+".conf")
		// A port picked free may be taken before the node listens on it
		// (by another test's process, or as the local port of some
		// connection): then the node starts again on other ones.
		for attempt := 1; ; attempt++ {
			c.configure(tb, i, tlsf)
			err := c.start(i)
			if err == nil {
				break
			}
			if attempt == 3 || !strings.Contains(tailFile(filepath.Join(n.dir, "nats.log"), 2000), "address already in use") {
				tb.Fatal(err)
			}
			tb.Logf("%s: a port was taken; starting again on others", n.Name)
		}
	}
	c.WaitHealthy(tb, time.Minute)
	// Healthy as a server is not yet ready for the account: JetStream is
	// enabled for it when the server has resolved it, and an engine
	// that came first would be told "JetStream not enabled for account".
	for i := range Size {
		c.waitAccount(tb, i)
	}
	return c
}

// waitAccount waits until node i answers the engine's account's JetStream
// requests.
func (c *Cluster) waitAccount(tb testing.TB, i int) {
	tb.Helper()
	nc := c.Conn(tb, i)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	var last error
	if !testenv.Within(time.Minute, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, last = js.AccountInfo(ctx)
		return last == nil
	}) {
		tb.Fatalf("%s: JetStream not ready for the account: %v", c.nodes[i].Name, last)
	}
}

// nodeConfig is node n's configuration: deploy/nats/node-N.conf's, on the
// harness's ports and files.
func nodeConfig(n *Node, clusterAddr string, routes []string, t tlsFiles) string {
	tlsBlock := fmt.Sprintf("cert_file: %q\n    key_file: %q\n    ca_file: %q\n    timeout: 2", t.Cert, t.Key, t.CA)
	return fmt.Sprintf(`# Plaudit cluster test node %[1]s; see deploy/nats/node-1.conf.
server_name: %[1]s
listen: %[2]s
http: %[3]s
log_file: %[4]q
include ./auth.conf
resolver {
  type: full
  dir: %[5]q
  allow_delete: false
  interval: "2m"
}
tls {
    %[6]s
}
jetstream {
  store_dir: %[7]q
}
cluster {
  name: %[8]s
  listen: %[9]s
  # Peers reach this node only through the harness's relays, which the
  # routes below name: the address a node advertises would let a peer that
  # learns of it through gossip route around them. Nothing listens on
  # port 1; a peer's attempt there fails, and it keeps to its configured
  # routes.
  advertise: "127.0.0.1:1"
  tls {
    %[6]s
    verify: true
  }
  routes: [
    %[10]s
  ]
}
`, n.Name, n.ClientAddr, n.httpAddr, filepath.Join(n.dir, "nats.log"), filepath.Join(n.dir, "accounts"),
		tlsBlock, filepath.Join(n.dir, "jetstream"), Name, clusterAddr, strings.Join(routes, "\n    "))
}

// Node returns node i.
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// Index is the index of the node named name (a stream's leader), or -1.
func (c *Cluster) Index(name string) int {
	for i, n := range c.nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// URLs is the client URLs of nodes (every node when none is given),
// comma-separated, as plauditd's --nats-url takes them.
func (c *Cluster) URLs(nodes ...int) string {
	if len(nodes) == 0 {
		nodes = []int{0, 1, 2}
	}
	urls := make([]string, len(nodes))
	for k, i := range nodes {
		urls[k] = "tls://" + c.nodes[i].ClientAddr
	}
	return strings.Join(urls, ",")
}

// EngineArgs are plauditd's flags for joining the cluster through nodes
// (every node when none is given) with the keys, at R3.
func (c *Cluster) EngineArgs(nodes ...int) []string {
	return []string{"--nats-url", c.URLs(nodes...), "--nats-ca", c.CAFile, "--nats-keys", c.KeysDir, "--replicas", "3"}
}

// Creds writes a .creds file of a new user of the engine's account, for a
// process that joins without the keys (plauditd --nats-creds).
func (c *Cluster) Creds(tb testing.TB, name string) string {
	tb.Helper()
	u, err := c.Keys.NewUser(name)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := u.Creds()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(c.Dir, name+".creds")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Conn connects to nodes (every node when none is given) as a user of
// the engine's account, for the test's own looks at the stream; it
// reconnects for ever and is closed when the test ends.
func (c *Cluster) Conn(tb testing.TB, nodes ...int) *nats.Conn {
	tb.Helper()
	u, err := c.Keys.NewUser("cluster-test")
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := nats.Connect(c.URLs(nodes...), u.Option(), nats.RootCAs(c.CAFile), nats.Name(tb.Name()),
		nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		tb.Fatalf("connect to the cluster: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Kill stops node i with SIGKILL: no shutdown of any kind, as when its
// machine dies.
func (c *Cluster) Kill(tb testing.TB, i int) {
	tb.Helper()
	c.nodes[i].kill()
}

// Stop stops node i as an operator does (SIGTERM), waiting at most 30 s
// for it to exit before killing it.
func (c *Cluster) Stop(tb testing.TB, i int) {
	tb.Helper()
	n := c.nodes[i]
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		tb.Errorf("%s did not stop within 30 s of SIGTERM; killed", n.Name)
		n.kill()
	}
}

// configure picks free ports for node i and writes its configuration.
func (c *Cluster) configure(tb testing.TB, i int, t tlsFiles) {
	tb.Helper()
	n := c.nodes[i]
	n.ClientAddr, n.httpAddr = testenv.FreeAddr(tb), testenv.FreeAddr(tb)
	clusterAddr := testenv.FreeAddr(tb)
	var routes []string
	for j := range Size {
		if j != i {
			routes = append(routes, "nats-route://"+c.links[i][j].Addr())
			c.links[j][i].setTarget(clusterAddr)
		}
	}
	if err := os.WriteFile(n.conf, []byte(nodeConfig(n, clusterAddr, routes, t)), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Restart starts node i (again) on its configuration and data, and
// returns once it accepts connections; it may not have caught up with
// the cluster yet (WaitHealthy).
func (c *Cluster) Restart(tb testing.TB, i int) {
	tb.Helper()
	if err := c.start(i); err != nil {
		tb.Fatal(err)
	}
}

// start starts node i and waits until it accepts client connections.
func (c *Cluster) start(i int) error {
	n := c.nodes[i]
	done, err := n.start(c.bin)
	if err != nil {
		return err
	}
	exited := false
	if !testenv.Within(30*time.Second, func() bool {
		select {
		case <-done:
			exited = true
			return true
		default:
		}
		if n.get("/varz") != nil {
			return false
		}
		// The port is the node's when the server there says its name.
		conn, err := net.DialTimeout("tcp", n.ClientAddr, time.Second)
		if err != nil {
			return false
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		info, _ := bufio.NewReader(conn).ReadString('\n')
		return strings.Contains(info, `"server_name":"`+n.Name+`"`)
	}) || exited {
		return fmt.Errorf("%s does not answer:\n%s\n%s", n.Name, tailFile(filepath.Join(n.dir, "stderr.log"), 2000), tailFile(filepath.Join(n.dir, "nats.log"), 2000))
	}
	return nil
}

// start starts the node's process and returns a channel closed when it
// has exited.
func (n *Node) start(bin string) (chan struct{}, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return nil, fmt.Errorf("%s is running", n.Name)
	}
	cmd := exec.Command(bin, "-c", n.conf)
	cmd.Dir = n.dir
	out, err := os.OpenFile(filepath.Join(n.dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Killed with the test process, however that ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	n.cmd, n.done = cmd, done
	go func() {
		_ = cmd.Wait()
		out.Close()
		n.mu.Lock()
		n.cmd, n.done = nil, nil
		n.mu.Unlock()
		close(done)
	}()
	return done, nil
}

// kill kills the node's process, if it runs, and waits for it to exit.
func (n *Node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Running reports whether node i's process runs.
func (c *Cluster) Running(i int) bool {
	n := c.nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// get fetches a monitoring endpoint of the node, nil on a 200.
func (n *Node) get(path string) error {
	_, err := n.monitor(path)
	return err
}

var monitorClient = &http.Client{Timeout: 5 * time.Second}

// monitor fetches a monitoring endpoint of the node and returns its body
// when the status is 200.
func (n *Node) monitor(path string) ([]byte, error) {
	resp, err := monitorClient.Get("http://" + n.httpAddr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", n.Name, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// Healthy is nil when node i runs and says it is healthy: JetStream on,
// in contact with the meta leader, and every stream and consumer it holds
// a replica of current (nats-server's /healthz).
func (c *Cluster) Healthy(i int) error {
	if !c.Running(i) {
		return fmt.Errorf("%s is not running", c.nodes[i].Name)
	}
	return c.nodes[i].get("/healthz")
}

// WaitHealthy waits at most d until nodes (every node when none is given)
// are healthy.
func (c *Cluster) WaitHealthy(tb testing.TB, d time.Duration, nodes ...int) {
	tb.Helper()
	if len(nodes) == 0 {
		nodes = []int{0, 1, 2}
	}
	var last error
	if !testenv.Within(d, func() bool {
		for _, i := range nodes {
			if last = c.Healthy(i); last != nil {
				return false
			}
		}
		return true
	}) {
		tb.Fatalf("cluster not healthy within %v: %v", d, last)
	}
}

// Routes is the number of route connections node i holds (its /routez):
// with route pooling, several to each peer.
func (c *Cluster) Routes(i int) (int, error) {
	b, err := c.nodes[i].monitor("/routez")
	if err != nil {
		return 0, err
	}
	var r struct {
		NumRoutes int `json:"num_routes"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, err
	}
	return r.NumRoutes, nil
}

// Partition cuts node i off from the other two: every route connection
// between it and them is reset and new ones are refused, as by a firewall
// rejecting the traffic between its host and theirs. The node keeps
// running and its clients stay connected to it; the others see their
// routes to it fail, and it sees its own fail. Heal restores the links.
// A real partition often drops packets silently instead; the servers
// then notice only when heartbeats stop, a few seconds later, and
// JetStream's elections run the same way after that.
func (c *Cluster) Partition(tb testing.TB, i int) {
	tb.Helper()
	c.setCut(i, true)
	if !testenv.Within(10*time.Second, func() bool { n, err := c.Routes(i); return err == nil && n == 0 }) {
		n, err := c.Routes(i)
		tb.Fatalf("%s still has %d routes (%v) after its links were cut", c.nodes[i].Name, n, err)
	}
}

// Heal restores node i's links to the other two; the servers reconnect
// their routes by themselves within a few seconds.
func (c *Cluster) Heal(tb testing.TB, i int) {
	tb.Helper()
	c.setCut(i, false)
}

func (c *Cluster) setCut(i int, cut bool) {
	for j := range Size {
		if j != i {
			c.links[i][j].setCut(cut)
			c.links[j][i].setCut(cut)
		}
	}
}

// StreamLeader waits at most d for stream to have a leader and returns
// the index of its node, asking through js.
func (c *Cluster) StreamLeader(tb testing.TB, js jetstream.JetStream, stream string, d time.Duration) int {
	tb.Helper()
	leader := -1
	var last error
	if !testenv.Within(d, func() bool {
		leader, last = c.streamLeader(js, stream)
		return last == nil && leader >= 0
	}) {
		tb.Fatalf("stream %s has no leader within %v: %v", stream, d, last)
	}
	return leader
}

func (c *Cluster) streamLeader(js jetstream.JetStream, stream string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1, err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return -1, errors.New("no leader")
	}
	return c.Index(info.Cluster.Leader), nil
}

// MoveStreamLeader asks stream's leader to step down in favour of node i
// ($JS.API.STREAM.LEADER.STEPDOWN with a preferred placement) and waits
// at most d until i leads it.
func (c *Cluster) MoveStreamLeader(tb testing.TB, nc *nats.Conn, stream string, i int, d time.Duration) {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{"placement": map[string]string{"preferred": c.nodes[i].Name}})
	var last error
	if !testenv.Within(d, func() bool {
		leader, err := c.streamLeader(js, stream)
		if err != nil {
			last = err
			return false
		}
		if leader == i {
			return true
		}
		msg, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+stream, req, 2*time.Second)
		if err != nil {
			last = err
			return false
		}
		var resp struct {
			Error *struct {
				Description string `json:"description"`
			} `json:"error"`
		}
		if json.Unmarshal(msg.Data, &resp) == nil && resp.Error != nil {
			last = errors.New(resp.Error.Description)
		}
		// The election takes a moment; look again before asking again.
		testenv.Within(2*time.Second, func() bool { l, err := c.streamLeader(js, stream); return err == nil && l == i })
		return false
	}) {
		tb.Fatalf("%s does not lead stream %s within %v: %v", c.nodes[i].Name, stream, d, last)
	}
}

// tailFile is the last n bytes of a file, for failure reports.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
