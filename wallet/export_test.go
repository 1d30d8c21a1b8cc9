package wallet

// Internals that the external tests need to check what the API alone cannot show.

// SecretOf and SignSeedOf let the leak test search for the secrets it must not find.
func SecretOf(id *Identity) []byte   { return id.secret[:] }
func SignSeedOf(id *Identity) []byte { return id.sign.Seed() }

// FromSecret pins the key derivation to known answers.
func FromSecret(name string, secret []byte) (*Identity, error) { return newIdentity(name, secret) }

// WriteNew lets the atomicity test fail a write halfway.
var WriteNew = writeNew
