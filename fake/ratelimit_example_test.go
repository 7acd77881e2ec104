package fake_test

import (
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication/fake"
)

// Throttle as Huawei's API gateway does, on a frozen clock: of three
// requests in one second with a limit of two, the third is answered 429;
// the next second, requests pass again.
func ExampleWithRateLimit() {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, err := fake.NewServer(fake.WithRateLimit(2), fake.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	for range 3 {
		status, body := send(s, http.MethodGet, path, "")
		fmt.Println(status, body)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	status, _ := send(s, http.MethodGet, path, "")
	fmt.Println(status, "throttled so far:", s.ThrottledCount())
	// Output:
	// 200 {"ext_text":null,"replications":[],"total_count":0}
	// 200 {"ext_text":null,"replications":[],"total_count":0}
	// 429 {"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 second"}
	// 200 throttled so far: 1
}
