package session

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/loginkit/loginkit/client"
)

// FlowStore keeps pending logins between the redirect to the provider and
// the callback, keyed by state so that several tabs can log in at once.
type FlowStore interface {
	// SaveFlow keeps f for this browser. crossSite is for providers whose
	// callback is a cross-site POST (response_mode=form_post): its cookie
	// must be SameSite=None; Secure to come back.
	SaveFlow(w http.ResponseWriter, r *http.Request, f *client.Flow, crossSite bool) error
	// TakeFlow returns and removes the flow for state: a second call for the
	// same state fails. A flow this browser does not hold is
	// client.ErrFlowMissing; an old one is client.ErrFlowExpired.
	TakeFlow(w http.ResponseWriter, r *http.Request, state string) (*client.Flow, error)
}

// CookieFlows keeps each pending login in its own sealed cookie, named after
// a hash of its state, living FlowLifetime. Used states are remembered in
// memory until they expire, so a replayed callback fails even if an attacker
// kept a copy of the cookie.
type CookieFlows struct {
	opts   CookieOptions
	sealer *Sealer
	now    func() time.Time
	max    int
	used   usedStates
}

// NewCookieFlows returns a flow store; at most max logins (default 5) are
// pending per browser, the oldest dropped first.
func NewCookieFlows(keys [][]byte, opts CookieOptions, max int, now func() time.Time) (*CookieFlows, error) {
	sealer, err := NewSealer(keys, "flow")
	if err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 5
	}
	if now == nil {
		now = time.Now
	}
	c := &CookieFlows{opts: opts, sealer: sealer, now: now, max: max, used: usedStates{m: map[string]time.Time{}}}
	if !validName(c.cookieName("")) {
		return nil, fmt.Errorf("loginkit/session: cookie prefix %q is not a valid cookie name", opts.Prefix)
	}
	return c, nil
}

func (c *CookieFlows) prefix() string { return c.opts.name("_f_") }

func (c *CookieFlows) cookieName(state string) string {
	h := sha256.Sum256([]byte(state))
	return c.prefix() + base64.RawURLEncoding.EncodeToString(h[:9])
}

// SaveFlow implements FlowStore.
func (c *CookieFlows) SaveFlow(w http.ResponseWriter, r *http.Request, f *client.Flow, crossSite bool) error {
	name := c.cookieName(f.State)
	value := c.sealer.Seal(encodeFlow(f), []byte(name))
	maxAge := int(client.FlowLifetime / time.Second)
	c.evict(w, r)
	if crossSite {
		ck := c.opts.cookie(name, value, maxAge)
		ck.SameSite, ck.Secure = http.SameSiteNoneMode, true
		http.SetCookie(w, ck)
		return nil
	}
	w.Header().Add("Set-Cookie", c.opts.sealedLine(name, value, maxAge))
	return nil
}

// evict drops the oldest pending flows so that at most max-1 remain before a
// new one is added: a browser's cookie jar never fills with abandoned logins.
func (c *CookieFlows) evict(w http.ResponseWriter, r *http.Request) {
	type pending struct {
		name    string
		created time.Time
	}
	var all []pending
	for _, name := range cookieNames(r, c.prefix()) {
		v, _ := cookieValue(r, name)
		if plain, err := c.sealer.Open(nil, v, []byte(name)); err == nil {
			if f, err := decodeFlow(plain); err == nil {
				all = append(all, pending{name, f.Created})
				continue
			}
		}
		all = append(all, pending{name: name}) // unreadable: oldest of all
	}
	sort.Slice(all, func(i, j int) bool { return all[i].created.Before(all[j].created) })
	for i := 0; i < len(all)-(c.max-1); i++ {
		http.SetCookie(w, c.opts.cookie(all[i].name, "", -1))
	}
}

// TakeFlow implements FlowStore.
func (c *CookieFlows) TakeFlow(w http.ResponseWriter, r *http.Request, state string) (*client.Flow, error) {
	if state == "" {
		return nil, client.ErrFlowMissing
	}
	name := c.cookieName(state)
	v, ok := cookieValue(r, name)
	if !ok {
		return nil, client.ErrFlowMissing
	}
	http.SetCookie(w, c.opts.cookie(name, "", -1))
	plain, err := c.sealer.Open(nil, v, []byte(name))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", client.ErrFlowMissing, err)
	}
	f, err := decodeFlow(plain)
	if err != nil || f.State != state {
		return nil, client.ErrStateMismatch
	}
	now := c.now()
	if f.Expired(now) {
		return nil, client.ErrFlowExpired
	}
	if !c.used.add(state, f.Created.Add(client.FlowLifetime), now) {
		return nil, fmt.Errorf("%w: state already used", client.ErrFlowMissing)
	}
	return f, nil
}

// usedStates remembers consumed states until their flows would have expired.
type usedStates struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// prune drops expired entries and, if that frees less than a tenth, the
// entries closest to expiry too: the newest states stay protected and a
// flood costs one scan per maxUsed/10 callbacks.
func (u *usedStates) prune(now time.Time) {
	for k, exp := range u.m {
		if now.After(exp) {
			delete(u.m, k)
		}
	}
	if len(u.m) < maxUsed*9/10 {
		return
	}
	exps := make([]time.Time, 0, len(u.m))
	for _, exp := range u.m {
		exps = append(exps, exp)
	}
	sort.Slice(exps, func(i, j int) bool { return exps[i].Before(exps[j]) })
	cut := exps[len(exps)/10]
	for k, exp := range u.m {
		if !exp.After(cut) {
			delete(u.m, k)
		}
	}
}

// maxUsed bounds the memory a flood of callbacks can take.
const maxUsed = 100_000

func (u *usedStates) add(state string, until, now time.Time) bool {
	h := sha256.Sum256([]byte(state))
	key := string(h[:16])
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, seen := u.m[key]; seen {
		return false
	}
	if len(u.m) >= maxUsed {
		u.prune(now)
	}
	u.m[key] = until
	return true
}
