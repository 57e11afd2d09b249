package providers_test

import (
	"fmt"

	"github.com/loginkit/loginkit/providers"
)

func ExampleGoogle() {
	google, err := providers.Google(providers.GoogleConfig{
		ClientID: "1234.apps.googleusercontent.com", ClientSecret: "secret",
		HostedDomain: "example.com", // Workspace accounts of example.com only
		Offline:      true,          // a refresh token at every sign-in
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(google.Name, google.Issuer, google.AuthParams.Encode())
	// Output: google https://accounts.google.com access_type=offline&hd=example.com&prompt=consent
}

func ExampleEntra() {
	entra, err := providers.Entra(providers.EntraConfig{
		ClientID: "00000000-0000-0000-0000-000000000001", ClientSecret: "secret",
		Tenant:         providers.EntraOrganizations,
		AllowedTenants: []string{"72f988bf-86f1-41af-91ab-2d7cd011db47"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(entra.Issuer)
	fmt.Println(entra.DiscoveryIssuer)
	// Output:
	// https://login.microsoftonline.com/organizations/v2.0
	// https://login.microsoftonline.com/{tenantid}/v2.0
}

func ExampleAppSecretProof() {
	fmt.Println(providers.AppSecretProof("EAAGm0PX4ZCpsBAtoken", "app-secret-1234"))
	// Output: 6ed04a51ef7a97955c566985141d0f87c75893745b7a6a14488848374c54912a
}
