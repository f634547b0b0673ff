package ctrl_test

import (
	"fmt"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// A key added while a worker holds it is not handed to a second worker;
// it comes back once, after Done.
func ExampleQueue() {
	q := ctrl.NewQueue(nil, ctrl.Backoff{})
	defer q.ShutDown()
	q.Add("svc/web")
	q.Add("svc/web") // deduplicated
	key, _ := q.Get()
	q.Add("svc/web") // changed while being synced
	fmt.Println(key, "ready:", q.Len())
	q.Done(key)
	fmt.Println("after Done ready:", q.Len())
	// Output:
	// svc/web ready: 0
	// after Done ready: 1
}
