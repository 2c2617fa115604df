package main

import "fmt"

func main() { fmt.Printf("Hello %d!\n", 42) }
