package oidctest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxBodyBytes bounds every request body the provider reads.
const maxBodyBytes = 64 << 10

const formType = "application/x-www-form-urlencoded"

var (
	errNotPost     = errors.New("the request must use POST")
	errNotForm     = errors.New("the body must be " + formType)
	errBadForm     = errors.New("the body is not a valid form or is larger than 64 KiB")
	errBadQuery    = errors.New("the query string is not valid")
	errMethodQuery = errors.New("the request must use GET or POST")
)

// postForm returns the parameters of a POST form body (RFC 6749 §3.2),
// read through http.MaxBytesReader. Query parameters are ignored.
func postForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, errNotPost
	}
	if !isForm(r) {
		return nil, errNotForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errBadForm
	}
	return r.PostForm, nil
}

// queryOrForm returns the parameters of a GET query or a POST form, as the
// authorization and end_session endpoints accept (OIDC Core §3.1.2.1).
func queryOrForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		v, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, errBadQuery
		}
		return v, nil
	case http.MethodPost:
		return postForm(w, r)
	}
	return nil, errMethodQuery
}

func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == formType
}

// singleValued enforces RFC 6749 §3.1 and §3.2: parameters must not be
// included more than once.
func singleValued(v url.Values) error {
	for k, vs := range v {
		if len(vs) > 1 {
			return fmt.Errorf("parameter %q is repeated", k)
		}
	}
	return nil
}

// peekGrantType reads the grant_type of a token request while leaving the
// body readable for the handler or an Intercept hook. ok is false when the
// request is not a POST form.
func peekGrantType(r *http.Request) (grantType string, ok bool) {
	if r.Method != http.MethodPost || !isForm(r) || r.Body == nil {
		return "", false
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	v, _ := url.ParseQuery(string(b))
	return v.Get("grant_type"), true
}

type readCloser struct {
	io.Reader
	io.Closer
}
