# ebill — every target installs what it needs (scripts/deps.sh) and only what is missing.
.PHONY: deps build test fuzz run demo chaos bench scale

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

# How the ledger grows: a ledger of each size filled in process, then measured (BILLS=0,20000 for a quick look).
scale: deps
	go run ./cmd/ebillctl bench --state-bills $(or $(BILLS),0,100000,1000000) --chart scale.png

# The desktop; the first run asks for an identity and a network (or: go run ./cmd/ebill --demo).
run: deps
	go run ./cmd/ebill
