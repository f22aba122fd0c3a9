"""The pure checks (no models): sniff, encoding, tables, structure, header, personal data,
scores and a catalogue file's own score; `pipeline` runs them on one fetched resource."""
