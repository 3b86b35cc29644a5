package agent

import (
	"os"
	"time"
)

// HandleSignal does nothing on Windows, which has no user-defined signals;
// use the HTTP endpoint instead. The returned stop is a no-op.
func HandleSignal(sig os.Signal) (stop func()) { return func() {} }

func handleSignal(os.Signal, time.Duration) func() { return func() {} }
