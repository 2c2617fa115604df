package main

import (
	"log"
	"log/syslog"
)

func main() {
	_, _ = syslog.NewLogger(syslog.LOG_DAEMON|syslog.LOG_INFO, 0)
	log.SetFlags(0)
	log.Printf("Hello %d!\n", 42)
}
