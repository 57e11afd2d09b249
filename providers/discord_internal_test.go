package providers

import "testing"

func TestDiscordAvatar(t *testing.T) {
	t.Parallel()
	const cdn = "https://cdn.discordapp.com"
	for _, tc := range []struct {
		name, id, hash, discriminator, want string
	}{
		{"custom", "80351110224678912", "8342729096ea3675442027381ff50dfe", "0",
			cdn + "/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
		{"animated", "80351110224678912", "a_1269e74af4df7417b13759eae50c83dc", "0",
			cdn + "/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"},
		// (80351110224678912 >> 22) % 6 == 5
		{"default, new username system", "80351110224678912", "", "0", cdn + "/embed/avatars/5.png"},
		{"default, legacy discriminator", "80351110224678912", "", "1337", cdn + "/embed/avatars/2.png"},
	} {
		if got := discordAvatar(cdn, tc.id, tc.hash, tc.discriminator); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	doc, err := decode([]byte(`{"data":{"id":12345678901234567890,"tags":["a","b"]},"n":null}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"data.id": "12345678901234567890", "data.tags.1": "b", "data.tags.2": "", "data.tags.-1": "",
		"data.tags.x": "", "n.x": "", "missing": "", "": "", "data": "",
	} {
		if got := str(lookup(doc, path)); got != want {
			t.Errorf("lookup(%q) = %q, want %q", path, got, want)
		}
	}
}
