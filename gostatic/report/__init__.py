"""Text and JSON reporters, one module per command."""

from __future__ import annotations

# The "version" of every JSON document gostatic prints: one contract, one number.
JSON_VERSION = 1
