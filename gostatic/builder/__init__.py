"""A build, from command line to report: the typer-free entry (gostatic.builder.entry),
build's own options (gostatic.builder.options), the pipeline that tries the fast path and
else the full path (gostatic.builder.pipeline, gostatic.builder.full), and each package's
climb up the strategy ladder (gostatic.builder.climbs, gostatic.builder.climb,
gostatic.builder.rungchoice). docs/architecture.md draws it."""
