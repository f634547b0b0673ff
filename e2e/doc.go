// Package e2e holds wharf's end-to-end tests with real containers: a wharf
// started as `wharf up` starts it (control plane and embedded agent), the
// aws-sdk-go-v2 ECS client, and the local Docker engine running images the
// tests build themselves. There is no production code here.
package e2e
