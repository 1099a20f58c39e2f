"""The subsidy chain: programmes, allocations to relays, redistributions, payments, payees' bank
details and the hash-chained ledger. The relays themselves are territory data, in `fablabs`."""
