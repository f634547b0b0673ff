// Package registry is wharf's OCI distribution registry, the storage and
// wire protocol behind ECR: the distribution project's registry used as a
// library (its HTTP handlers and its storage over the filesystem driver,
// under DATA_DIR/registry), fronted by a thin handler that adds what ECR
// adds to a plain registry: basic auth with the tokens GetAuthorizationToken
// issues, pushes only to repositories created through the ECR API, tag
// immutability, and a record of every push and pull for DescribeImages.
//
// What ECR knows of repositories and images lives in awsapi/ecr, which
// this package reaches only through the Hooks interface it declares;
// registry imports neither awsapi nor the store. Blobs no manifest
// references any more are removed by GC (distribution's mark and sweep),
// run under a lock that no write to the registry holds.
package registry
