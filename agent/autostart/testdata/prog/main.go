// Command prog is a program that only blank-imports autostart. The autostart
// test runs it; it prints "ready" and exits when its stdin is closed.
package main

import (
	"fmt"
	"io"
	"os"

	_ "github.com/memorywatch/memory-watch/agent/autostart"
)

func main() {
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}
