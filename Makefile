# make test   : everything CI runs (installs what is missing, vet, gofmt, race tests)
# make fast   : the in-process tests only, no real peers (no node, chromium, redis)
# make fuzz   : each fuzz target for FUZZTIME (default 30s)
# make bench  : the side-by-side benchmarks

GO       ?= go
FUZZTIME ?= 30s
PKGS     := ./...

.PHONY: test deps vet fast fuzz bench

test: deps vet
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

deps:
	./scripts/deps.sh

vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './e2e/op/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fast: vet
	$(GO) test -race -short -count=1 $(PKGS)

fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench:
	GO=$(GO) ./scripts/bench.sh
