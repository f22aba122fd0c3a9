"""The built-in report kinds: one module each, registered with `kinds.report_kind`."""
