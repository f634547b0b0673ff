// Package keyring seals wharf's secrets at rest: secret values, SecureString
// parameters and the secret halves of minted credentials are stored only as
// AES-256-GCM ciphertexts made here.
//
// The keys live in one file in the data dir (keyring.json, mode 0600,
// created on first use). Every sealed value names the key that sealed it,
// so keys can rotate: Rotate adds a key and makes it the one that seals,
// while the older keys still open what they sealed. Each value is sealed
// with associated data naming the record it belongs to (a secret's ARN and
// version, a parameter's name and version), so a ciphertext copied into
// another record does not open.
//
// It imports only the standard library.
package keyring
