"""Fetching resources: one fetch and its link verdict (`fetch`), many fetches under per-host
limits (`crawler`), split by host across processes (`shards`, forked via `shard_boot`)."""
