package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// get sends a request that changes nothing on the server (or, for a
// rebuild, nothing that a repeat would undo) once, and returns the body of
// its 2xx answer. A problem answer is returned as *problem.
func (cl *client) get(ctx context.Context, method, path string) ([]byte, error) {
	req, err := cl.newRequest(ctx, method, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, &connError{base: cl.base, err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, &connError{base: cl.base, err: err}
	}
	if resp.StatusCode/100 != 2 {
		return nil, answerError(resp, body)
	}
	return body, nil
}

func (c *cli) read(ctx context.Context, method, path string, v any) ([]byte, error) {
	cl, err := c.api()
	if err != nil {
		return nil, err
	}
	raw, err := cl.get(ctx, method, path)
	if err != nil {
		return nil, err
	}
	if v != nil && !c.json {
		if err := jsonUnmarshal(raw, v); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// readOrPrint GETs path into v; with --json it prints the answer as it
// came instead. done is true when there is nothing left to print.
func (c *cli) readOrPrint(ctx context.Context, path string, v any) (done bool, err error) {
	raw, err := c.read(ctx, http.MethodGet, path, v)
	if err != nil {
		return true, err
	}
	if c.json {
		c.printRaw(raw)
		return true, nil
	}
	return false, nil
}

func (c *cli) projections(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return c.projectionsRebuild(ctx, args[1:])
	}
	s := &spec{
		name: "projections",
		args: "[rebuild NAME]",
		about: `Show the projections plauditd runs: the last stream sequence each applied,
its lag behind the stream, the events applied and dead-lettered (events it
could not take, kept on plaudit-dlq.<name> with the reason), and whether a
rebuild runs. "plaudit projections rebuild NAME" rebuilds one from the first
event while the live one keeps serving. Admin or analyst keys.`,
	}
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	var list apiv1.ProjectionList
	if done, err := c.readOrPrint(ctx, "/v1/projections", &list); done {
		return err
	}
	if len(list.Projections) == 0 {
		fmt.Fprintln(c.stderr, "note: this plauditd runs no projections")
		return nil
	}
	slices.SortFunc(list.Projections, func(a, b apiv1.ProjectionStatus) int {
		return strings.Compare(a.Name+"\x00"+a.Replica, b.Name+"\x00"+b.Replica)
	})
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREPLICA\tLAST SEQ\tLAG\tAPPLIED\tDEAD LETTERS\tREBUILDING")
	for _, p := range list.Projections {
		rebuilding := "no"
		if p.Rebuilding {
			rebuilding = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", p.Name, p.Replica, p.LastSeq, p.Lag, p.Applied, p.DeadLettered, rebuilding)
	}
	return tw.Flush()
}

func (c *cli) projectionsRebuild(ctx context.Context, args []string) error {
	s := &spec{
		name: "projections rebuild",
		args: "NAME",
		about: `Rebuild a projection from the first event of the stream, beside the live
model, which keeps serving until the rebuilt one is swapped in. The rebuild
runs in the background; "plaudit projections" shows when it is done.
Admin keys.`,
		pos: []string{"NAME"},
	}
	pos, err := c.parseRead(s, args)
	if err != nil {
		return err
	}
	raw, err := c.read(ctx, http.MethodPost, "/v1/projections/"+seg(pos[0])+"/rebuild", nil)
	if err != nil {
		return err
	}
	if c.json {
		c.printRaw(raw)
		return nil
	}
	fmt.Fprintf(c.stdout, "rebuilding %s\n", pos[0])
	return nil
}

func (c *cli) feed(ctx context.Context, args []string) error {
	s := &spec{
		name: "feed",
		args: "[--scope tenant|team:ID|member:ID] [--given] [--value V] [--limit N] [--cursor C] [--min-seq N]",
		about: `Show kudos, newest first, one line each: the tenant's feed, a team's, or what a
member received (or, with --given, gave). Retracted kudos are not shown;
private kudos only to the people in them. A member key reads the tenant
feed, its own team's and its own. When there is more, the cursor of the
next page is printed on stderr.`,
	}
	fs := s.flags()
	scope := fs.String("scope", "tenant", "tenant, team:ID or member:ID")
	givenDir := fs.Bool("given", false, "with --scope member:ID, the kudos the member gave")
	value := fs.String("value", "", "only kudos tagged with this company value")
	limit := fs.Int("limit", 0, "kudos per page, 1 to 100 (default 20)")
	cursor := fs.String("cursor", "", "the next_cursor of the previous page")
	minSeq := fs.Uint64("min-seq", 0, "wait until the feed shows the write at this stream sequence")
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	q := url.Values{"scope": {*scope}}
	if *givenDir {
		if !strings.HasPrefix(*scope, "member:") {
			return &usageError{spec: s, msg: "--given needs --scope member:ID"}
		}
		q.Set("direction", "given")
	}
	if *value != "" {
		q.Set("value", *value)
	}
	if isSet(fs, "limit") {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	if *minSeq > 0 {
		q.Set("min_seq", strconv.FormatUint(*minSeq, 10))
	}
	var page apiv1.FeedPage
	if done, err := c.readOrPrint(ctx, "/v1/feed?"+q.Encode(), &page); done {
		return err
	}
	if len(page.Items) == 0 {
		fmt.Fprintln(c.stderr, "note: no kudos in this feed")
	}
	for _, it := range page.Items {
		fmt.Fprintln(c.stdout, formatItem(it))
	}
	if page.NextCursor != "" {
		fmt.Fprintf(c.stderr, "more: repeat with --cursor %s\n", page.NextCursor)
	}
	return nil
}

// formatItem renders one kudos of a feed as one line:
//
//	2026-11-23T10:15:03Z ana → bo, cy (+1 each, ownership): "Thanks for taking…" 🎉 2 :clap: 1 [id 0195…]
func formatItem(it apiv1.FeedItem) string {
	pts := "+" + strconv.Itoa(it.Points)
	if len(it.Recipients) > 1 {
		pts += " each"
	}
	notes := append([]string{pts}, it.Values...)
	if it.Visibility == "private" {
		notes = append(notes, "private")
	}
	line := fmt.Sprintf("%s %s → %s (%s): %s", it.Time.UTC().Format(time.RFC3339), it.Giver,
		strings.Join(it.Recipients, ", "), strings.Join(notes, ", "), quote(it.Message))
	emojis := make([]string, 0, len(it.Reactions))
	for e := range it.Reactions {
		emojis = append(emojis, e)
	}
	slices.Sort(emojis)
	for _, e := range emojis {
		line += fmt.Sprintf(" %s %d", e, it.Reactions[e])
	}
	return line + " [id " + it.ID + "]"
}

// receivedLine reads "3 points from 2 kudos".
func receivedLine(r apiv1.Received) string {
	return fmt.Sprintf("%d points from %d kudos", r.Points, r.Count)
}

func (c *cli) balance(ctx context.Context, args []string) error {
	s := &spec{
		name: "balance",
		args: "MEMBER [--min-seq N]",
		about: `Show a member's giving allowance in their current period (in their time zone)
and the recognition they received, this period and all time. A member key
reads its own; a manager's also their direct reports'.`,
		pos: []string{"MEMBER"},
	}
	minSeq := s.flags().Uint64("min-seq", 0, "wait until the balance reflects the write at this stream sequence")
	pos, err := c.parseRead(s, args)
	if err != nil {
		return err
	}
	path := "/v1/members/" + seg(pos[0]) + "/balance"
	if *minSeq > 0 {
		path += "?min_seq=" + strconv.FormatUint(*minSeq, 10)
	}
	var b apiv1.Balance
	if done, err := c.readOrPrint(ctx, path, &b); done {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d of %d points left (%d spent) in %s, %s; resets at %s\n",
		b.Member, b.Remaining, b.Limit, b.Spent, b.Period, b.TimeZone, b.ResetsAt.Format(time.RFC3339))
	fmt.Fprintf(c.stdout, "received: %s this period, %s all time\n", receivedLine(b.ReceivedPeriod), receivedLine(b.ReceivedTotal))
	return nil
}
