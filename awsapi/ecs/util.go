package ecs

import "github.com/wharfhq/wharf/awsapi"

// derefStr is the shared Deref for the string members ECS reads most.
var derefStr = awsapi.Deref[string]
