"""What gostatic learns from the external linker and the C toolchain: the real reason a
static link failed, the hazards its warnings name, the pkg-config environment a static
link needs, and what a cgo package becomes with cgo off."""
