package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS: a listener off loopback carries secrets (GetSecretValue answers,
// task credentials) and should not do so in clear. Either the user's
// certificate (--tls-cert/--tls-key) or one from `wharf ca`, a local CA
// and a server certificate under DATA_DIR/tls, which wharf uses by itself
// when it listens off loopback.

// TLSDir is where `wharf ca` writes, under the data dir.
const TLSDir = "tls"

// CAFiles are the paths `wharf ca` writes.
type CAFiles struct {
	CACert, CAKey, Cert, Key string
}

// LocalCA is where the local CA's files are in dataDir.
func LocalCA(dataDir string) CAFiles {
	d := filepath.Join(dataDir, TLSDir)
	return CAFiles{CACert: filepath.Join(d, "ca.pem"), CAKey: filepath.Join(d, "ca-key.pem"),
		Cert: filepath.Join(d, "server.pem"), Key: filepath.Join(d, "server-key.pem")}
}

// MakeCA makes (or keeps) a local CA under dataDir and issues a server
// certificate for localhost, the loopback addresses, this host's name and
// addresses, and names. The CA is kept across calls, so a client that
// trusts it keeps trusting new server certificates.
func MakeCA(dataDir string, names []string, now time.Time) (CAFiles, error) {
	f := LocalCA(dataDir)
	if err := os.MkdirAll(filepath.Dir(f.CACert), 0o700); err != nil {
		return f, err
	}
	caCert, caKey, err := loadCA(f)
	if errors.Is(err, fs.ErrNotExist) {
		caCert, caKey, err = newCA(f, now)
	}
	if err != nil {
		return f, fmt.Errorf("local CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "wharf"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ipn.IP)
			}
		}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return f, fmt.Errorf("server certificate: %w", err)
	}
	if err := writePEM(f.Key, key); err != nil {
		return f, err
	}
	// The chain: the server's certificate, then the CA's.
	var chain bytes.Buffer
	_ = pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw})
	return f, os.WriteFile(f.Cert, chain.Bytes(), 0o644)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func newCA(f CAFiles, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "wharf local CA (" + host + ")"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePEM(f.CAKey, key); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(f.CACert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func loadCA(f CAFiles) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(f.CACert, f.CAKey)
	if err != nil {
		if _, serr := os.Stat(f.CACert); errors.Is(serr, fs.ErrNotExist) {
			return nil, nil, serr
		}
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not an ECDSA key", f.CAKey)
	}
	return cert, key, nil
}

func writePEM(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// tlsFiles picks the certificate to serve: the configured one, else the
// local CA's when listening off loopback and `wharf ca` made one.
func tlsFiles(cfg Config) (cert, key string) {
	if cfg.TLSCert != "" {
		return cfg.TLSCert, cfg.TLSKey
	}
	if IsLoopback(cfg.Listen) {
		return "", ""
	}
	f := LocalCA(cfg.DataDir)
	if _, err := os.Stat(f.Cert); err == nil {
		return f.Cert, f.Key
	}
	return "", ""
}
