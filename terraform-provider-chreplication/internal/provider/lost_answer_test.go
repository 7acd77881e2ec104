package provider

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// loseFirstAnswers is a proxy in front of srv that sends the first create
// and the first delete on to the fake, which acts on them, and answers 502
// in place of the fake's answer: the service did the work and the client
// never learnt it, as when a gateway or the network fails after the
// request went through.
// The returned function reports the methods whose answer was lost.
func loseFirstAnswers(t *testing.T, srv *fake.Server) (*httptest.Server, func() []string) {
	t.Helper()
	target, err := url.Parse(srv.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var (
		mu   sync.Mutex
		lost = map[string]bool{}
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// POST .../clickhouse/replication creates, DELETE
		// .../clickhouse/replication/{database_name} deletes.
		write := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/clickhouse/replication") ||
			r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/clickhouse/replication/")
		mu.Lock()
		lose := write && !lost[r.Method]
		lost[r.Method] = lost[r.Method] || lose
		mu.Unlock()
		if !lose {
			proxy.ServeHTTP(w, r)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host, out.Host = target.Scheme, target.Host, target.Host
		resp, err := srv.Client().Transport.RoundTrip(out)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, m := range []string{http.MethodPost, http.MethodDelete} {
			if lost[m] {
				out = append(out, m)
			}
		}
		return out
	}
}

// TestAccReplicationLostAnswers: the answer to the create is lost after the
// service started the job, and so is the answer to the delete. The
// provider creates the task once (EnsureReplication looks at the list
// instead of sending the create again), the apply succeeds with the task
// in the state and an empty plan after it, and destroy deletes it once.
func TestAccReplicationLostAnswers(t *testing.T) {
	srv := accServer(t)
	proxy, lost := loseFirstAnswers(t, srv)
	cfg := strings.Replace(replicationConfig(srv, "ledger", ""), fmt.Sprintf("%q", srv.URL()), fmt.Sprintf("%q", proxy.URL), 1)
	require.Contains(t, cfg, proxy.URL)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			func(*terraform.State) error {
				if got := lost(); !slices.Equal(got, []string{http.MethodPost, http.MethodDelete}) {
					return fmt.Errorf("the answers lost were those of %v, want the create's and the delete's", got)
				}
				return nil
			},
			checkDestroyed(srv),
			checkOK(srv, opDelete, 1),
			checkOK(srv, opCreate, 1),
		),
		Steps: []resource.TestStep{
			{
				Config:           cfg,
				ConfigPlanChecks: emptyAfterApply,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "id", accInstance+"/ledger"),
					resource.TestCheckResourceAttr(res, "status", "normal"),
					checkListed(srv, "ledger"),
					checkOK(srv, opCreate, 1),
					func(*terraform.State) error {
						if n := srv.RequestCount(opCreate); n != 1 {
							return fmt.Errorf("the fake got %d creates, want 1", n)
						}
						return nil
					},
				),
			},
		},
	})
}
