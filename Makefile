# tokendesk. `make run` and `make test` are all a newcomer needs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/tokendesk

.PHONY: run test build generate check-generated bench demo lint vet fmt

## run: start the console on http://127.0.0.1:8080 with the embedded SQLite default (./data)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/tokendesk serve

## test: the whole test suite (race detector on)
test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal web views static)" || { echo "gofmt needed:"; gofmt -l cmd internal web views static; exit 1; }
	$(GO) test -race -count=1 ./...

## build: one self-contained static binary with views and assets embedded
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tokendesk

## generate: regenerate templ views
generate:
	$(GO) tool templ generate

## check-generated: fail when committed generated code is stale
check-generated: generate
	git diff --exit-code -- views/
	@test -z "$$(git status --porcelain -- views/ | grep '^??')" || { echo "untracked generated files:"; git status --porcelain -- views/; exit 1; }

## bench: benchmarks (timing goals are checked here, never in unit tests)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
