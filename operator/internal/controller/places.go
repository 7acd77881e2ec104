package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
)

// Places makes one client per place (endpoint, project, credentials) and
// keeps it, so that every worker reconciling resources of one place shares
// its request budget (and the rate a 429 lowered, or the policy it stated).
// It is safe for concurrent use.
type Places struct {
	// Endpoint, Region and ProjectID are the manager's defaults.
	Endpoint, Region, ProjectID string
	// Env reads the manager's credentials (the CLI's variables).
	Env func(string) string
	// Options are given to every client (rate limit, user agent, ...).
	Options []chreplication.Option

	mu      sync.Mutex
	clients map[string]*chreplication.Client
}

// clientFor returns the client of r's place, with the manager's
// credentials or those of r's Secret (in r's namespace only).
func (p *Places) clientFor(ctx context.Context, c client.Reader, r *v1alpha1.ClickHouseReplication) (*chreplication.Client, error) {
	env := p.Env
	if ref := r.Spec.CredentialsSecretRef; ref != nil {
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: ref.Name}, &s); err != nil {
			return nil, fmt.Errorf("reading the credentials Secret %q of namespace %q: %w", ref.Name, r.Namespace, err)
		}
		env = func(name string) string { return string(s.Data[name]) }
	}
	endpoint, project := r.Spec.Endpoint, r.Spec.ProjectID
	region := r.Spec.Region
	if endpoint == "" && region == "" {
		endpoint, region = p.Endpoint, p.Region
	}
	if endpoint == "" {
		if region == "" {
			region = env(auth.EnvRegion)
		}
		ep, err := chreplication.RegionEndpoint(region)
		if err != nil {
			return nil, err
		}
		endpoint = ep
	}
	if project == "" {
		project = p.ProjectID
	}
	if project == "" {
		project = env(auth.EnvProjectID)
	}
	if project == "" {
		return nil, fmt.Errorf("no project: set spec.projectID, the manager's --project-id or %s", auth.EnvProjectID)
	}
	key := placeKey(endpoint, project, env)
	p.mu.Lock()
	defer p.mu.Unlock()
	if cl, ok := p.clients[key]; ok {
		return cl, nil
	}
	a, err := auth.FromLookup(func(name string) string {
		if name == auth.EnvProjectID {
			return project
		}
		return env(name)
	})
	if err != nil {
		return nil, err
	}
	opts := append([]chreplication.Option{chreplication.WithProjectID(project), chreplication.WithAuth(a)}, p.Options...)
	cl, err := chreplication.NewClient(endpoint, opts...)
	if err != nil {
		return nil, err
	}
	if p.clients == nil {
		p.clients = map[string]*chreplication.Client{}
	}
	p.clients[key] = cl
	return cl, nil
}

// placeKey names a place: its endpoint, project and a hash of its
// credentials (never the credentials themselves).
func placeKey(endpoint, project string, env func(string) string) string {
	names := []string{auth.EnvAccessKey, auth.EnvSecretKey, auth.EnvSecurityToken, auth.EnvAuthToken, auth.EnvIAMUser, auth.EnvIAMPassword, auth.EnvIAMDomain, auth.EnvIAMEndpoint}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n + "=" + env(n) + "\x00"))
	}
	return strings.TrimRight(endpoint, "/") + " " + project + " " + hex.EncodeToString(h.Sum(nil))
}
