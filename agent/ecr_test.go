package agent

import "testing"

func TestParseRegistryRef(t *testing.T) {
	tests := []struct {
		name, image string
		want        registryRef
		ok          bool
	}{
		{"ECR name", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1",
			registryRef{host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", rest: "team/web:v1", account: "123456789012", region: "eu-west-1"}, true},
		{"ECR name in China", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web@sha256:abc",
			registryRef{host: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", rest: "web@sha256:abc", account: "123456789012", region: "cn-north-1"}, true},
		{"repositoryUri", "127.0.0.1:8555/web:v1", registryRef{host: "127.0.0.1:8555", rest: "web:v1"}, true},
		{"localhost", "localhost/web", registryRef{host: "localhost", rest: "web"}, true},
		{"another registry", "public.ecr.aws/nginx/nginx:latest", registryRef{host: "public.ecr.aws", rest: "nginx/nginx:latest"}, true},
		{"Docker Hub", "library/nginx:alpine", registryRef{}, false},
		{"plain name", "nginx", registryRef{}, false},
		{"test image", "wharf-test/app:latest", registryRef{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRegistryRef(tt.image)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseRegistryRef(%q) = %+v, %v; want %+v, %v", tt.image, got, ok, tt.want, tt.ok)
			}
		})
	}
}
