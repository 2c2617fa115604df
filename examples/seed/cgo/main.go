package main

// #include <stdlib.h>
// int fortytwo() { return abs(-42); }
import "C"
import "fmt"

func main() { fmt.Printf("Hello %d!\n", C.fortytwo()) }
