# Plaudit. `make run` starts the engine on its embedded default; `make test`
# runs every test. Both fetch what they need (Go modules) themselves.
SHELL := /bin/bash
GO ?= go
BIN := bin
PKGS := ./...

.PHONY: run test bench build lint tidy clean

build:
	$(GO) build -o $(BIN)/plauditd ./cmd/plauditd
	$(GO) build -o $(BIN)/plaudit ./cmd/plaudit

run: build
	./$(BIN)/plauditd

test:
	$(GO) mod download
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

bench:
	$(GO) run ./cmd/benchreport

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

tidy:
	$(GO) mod tidy

clean:
	rm -rf $(BIN) data
