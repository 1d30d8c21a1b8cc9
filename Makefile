# ebill — every target installs what it needs (scripts/deps.sh) and only what is missing.
.PHONY: deps build test fuzz run demo chaos bench

deps:
	@scripts/deps.sh

build: deps
	go build ./...

test: deps
	scripts/test.sh

fuzz: deps
	scripts/fuzz.sh $(or $(FUZZTIME),200000x)

demo: deps
	go run ./cmd/ebillctl demo --dir demo

chaos: deps
	scripts/chaos.sh

bench: deps
	go run ./cmd/ebillctl bench --validators $(or $(VALIDATORS),1) --duration $(or $(DURATION),20s) --baseline --runs $(or $(RUNS),3)

# The desktop; the first run asks for an identity and a network (or: go run ./cmd/ebill --demo).
run: deps
	go run ./cmd/ebill
