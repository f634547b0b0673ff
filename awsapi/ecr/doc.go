// Package ecr serves the Amazon ECR API (JSON 1.1,
// AmazonEC2ContainerRegistry_V20150921): repositories, images, lifecycle
// policies, repository policies, authorization tokens and tags. The image
// bytes live in wharf's OCI registry (package registry), which this package
// reaches through the Registry interface it declares; the registry calls
// back through the methods of API that implement registry.Hooks
// (Authenticate, Repository, Pushed, Pulled). Records live under the store
// prefix ecr/.
//
// Repository names are one namespace per account across regions, since
// the registry's host (wharf's own port) does not carry a region as
// ACCOUNT.dkr.ecr.REGION.amazonaws.com does.
//
// It must not import another service's package, nor the registry.
package ecr
