# Plaudit. `make run` starts the engine on its embedded default; `make test`
# runs every test. Both fetch what they need themselves: Go modules, and
# Debian's clickhouse-server when it is missing (deploy/clickhouse); make
# test also installs Debian's chromium (deploy/chromium) and fetches
# axe-core, for the browser tests, and Debian's prometheus for its
# promtool (deploy/prometheus), which checks the alerts, the dashboard and
# /metrics.
SHELL := /bin/bash
GO ?= go
BIN := bin
PKGS := ./...

.PHONY: run test fuzz bench build lint tidy clean clickhouse chromium axe promtool nats-server

build:
	$(GO) build -o $(BIN)/plauditd ./cmd/plauditd
	$(GO) build -o $(BIN)/plaudit ./cmd/plaudit

# The nats-server Plaudit is tested with, for deploy/ (Debian's is too old).
nats-server:
	$(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2

# make run starts a throw-away ClickHouse on 127.0.0.1:19000 for the
# analytics projector, unless PLAUDIT_CLICKHOUSE_DSN names one; without
# either, plauditd runs without analytics and says so.
run: build
	@dir=$$(mktemp -d -t plaudit-clickhouse-XXXXXX); \
	dsn="$${PLAUDIT_CLICKHOUSE_DSN:-}"; \
	if [ -z "$$dsn" ]; then \
		dsn=$$(deploy/clickhouse/local.sh start "$$dir") || { dsn=""; echo "make run: no local ClickHouse; running without analytics" >&2; }; \
	fi; \
	trap 'deploy/clickhouse/local.sh stop "'"$$dir"'"' EXIT; \
	PLAUDIT_CLICKHOUSE_DSN="$$dsn" ./$(BIN)/plauditd

# Installs Debian's clickhouse-server when it is missing; the tests start
# their own servers on free loopback ports with throw-away data dirs.
clickhouse:
	deploy/clickhouse/install.sh

# Installs Debian's chromium when it is missing: the browser tests
# (internal/browser) drive it headless, each with a throw-away profile.
chromium:
	deploy/chromium/install.sh

# Installs Debian's prometheus package when promtool is missing: the tests
# check deploy/prometheus/alerts.yml (check rules, test rules), the
# Grafana dashboard's queries and a scrape of /metrics with it.
promtool:
	deploy/prometheus/install.sh

# Fetches axe-core, the accessibility checker the browser tests inject into
# pages, from the npm registry into bin/axe-core (no Node needed), checked
# against the digest pinned in internal/browser/getaxe; a no-op once there.
axe:
	$(GO) run ./internal/browser/getaxe

test: clickhouse chromium axe promtool
	$(GO) mod download
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 12m $(PKGS)
	$(MAKE) fuzz

# Each decoder of outside input is fuzzed beyond its committed corpus
# (testdata/fuzz): HTTP and NATS bodies, NATS request subjects and headers,
# events read from the stream. FUZZTIME is a count of inputs, not a
# duration: a duration can end while a slow machine still gathers the
# baseline, which go test reports as a failure.
FUZZTIME ?= 2000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/api
	$(GO) test -run '^$$' -fuzz '^FuzzNATSRequest$$' -fuzztime $(FUZZTIME) ./pkg/api
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/event
	$(GO) test -run '^$$' -fuzz '^FuzzReadMatchesEvent$$' -fuzztime $(FUZZTIME) ./internal/codec
	$(GO) test -run '^$$' -fuzz '^FuzzParseActivity$$' -fuzztime $(FUZZTIME) ./pkg/teams
	$(GO) test -run '^$$' -fuzz '^FuzzParseKudos$$' -fuzztime $(FUZZTIME) ./pkg/slack

bench:
	$(GO) run ./internal/bench/benchreport

# The README's screenshots of the web page, made by its browser test.
screenshots: chromium axe
	PLAUDIT_SCREENSHOTS=$(CURDIR)/pkg/web/screenshots $(GO) test -count=1 -run '^TestInTheBrowser$$' ./pkg/web

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

tidy:
	$(GO) mod tidy

clean:
	rm -rf $(BIN) data
