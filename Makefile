.PHONY: run test bench build

# Starts the embedded PostgreSQL under .ledger/, migrates it and follows the log.
run:
	tools/install-deps.sh
	swift build -c release --product ledger
	.build/release/ledger run --demo

# Installs what is missing, starts a throwaway PostgreSQL and runs every test against it.
test:
	tools/test.sh

build:
	swift build

# The append and read benchmarks against the embedded database (see README).
bench:
	swift build -c release
	.build/release/ledger-bench append
	.build/release/ledger-bench read
