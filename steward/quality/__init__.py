"""Quality checks (品質檢核) of published resources: fetch, sniff, validate, score."""
