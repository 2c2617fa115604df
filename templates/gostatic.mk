# gostatic.mk: `go build`, with the binary proved static. Written by `gostatic init`
# (gostatic {{version}}); edit it freely (`gostatic init` keeps an edited copy unless given
# --force).
#
# gostatic is not published on PyPI yet: install gostatic {{version}} from a checkout of it,
# never by the bare name `gostatic`, which anyone could register:
#
#     pip install /path/to/gostatic
#
# or build a wheel there once (`pip wheel --no-deps . -w dist/`) and install
# dist/gostatic-{{version}}-py3-none-any.whl wherever it is needed.
#
# In your Makefile:
#
#     include gostatic.mk
#
#     bin/server: FORCE
#     	$(GOSTATIC_BUILD) -o $@ ./cmd/server
#
#     FORCE:
#
# Go decides what is out of date, so let every binary target run (FORCE above, or
# .PHONY): an up-to-date `gostatic build` skips the link and leaves the output alone.
# This file defines variables only, never a target, so it does not change which target
# `make` builds by default wherever you include it.

# The command that runs gostatic. Override it in the environment or on make's command
# line, for example: make GOSTATIC="python3 -m gostatic"
GOSTATIC ?= gostatic

# gostatic's own build options, for example --strict (a hazard such as glibc's NSS
# loader counts as failure) or --quiet. go build's flags go in the recipe as usual.
GOSTATIC_FLAGS ?=

# A drop-in for `go build`: same flags, same packages, same outputs.
GOSTATIC_BUILD = $(GOSTATIC) build $(GOSTATIC_FLAGS)

# Checks binaries built some other way: exit 0 only if every file named is static.
GOSTATIC_VERIFY = $(GOSTATIC) verify
