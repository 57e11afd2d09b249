package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
)

// A protected page: signed-out browsers are sent to the provider's login
// route with return_to; API clients get 401.
func ExampleAuth_Require() {
	auth, err := middleware.New(middleware.Config{
		BaseURL: "https://app.example",
		Keys:    [][]byte{[]byte("an example key of 32 bytes or more!")},
		Providers: []client.Provider{{
			Name: "example", Issuer: "https://id.example", ClientID: "app", ClientSecret: "secret",
		}},
	})
	if err != nil {
		panic(err)
	}
	page := auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := middleware.UserFrom(r.Context())
		fmt.Fprintf(w, "Hello, %s", u.Name)
	}))

	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.example/account", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	api := httptest.NewRequest(http.MethodGet, "https://app.example/account", nil)
	api.Header.Set("Accept", "application/json")
	rec = httptest.NewRecorder()
	page.ServeHTTP(rec, api)
	fmt.Println(rec.Code)
	// Output:
	// 302 /login/example?return_to=%2Faccount
	// 401
}
