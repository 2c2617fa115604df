"""Reading ELF files: what a binary is (program or not, static or not), the hazards it
carries, the files it will look for at run time, its Go build info. Only
gostatic.elf.read imports pyelftools; the rest reads bytes with struct and mmap, so the
fast path's re-check can share it."""
