"""The go command: running it (gostatic.go.cmd), its environment (gostatic.go.env), its
build flags with go's own parsing and merging rules (gostatic.go.flags), and the package
graph go list gives (gostatic.go.listing, gostatic.go.packages)."""
