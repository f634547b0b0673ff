# ECR checks through the aws CLI (sourced by scripts/cli-e2e.sh: ok, fail,
# $AWS, $url, $work are set). With Docker, also the pipeline's login and
# push, with a config dir of its own so that ~/.docker is untouched.
ecr() { "$AWS" --endpoint-url "$url" ecr "$@"; }
host=${url#http://}

# ecr_expect NAME JQ-EXPR WANT -- ecr args…
ecr_expect() { cli_expect "ecr $1" "$2" "$3" -- ecr "${@:5}"; }
# ecr_error NAME CODE -- ecr args…
ecr_error() { cli_error "ecr $1" "$2" -- ecr "${@:4}"; }

ecr_expect "create-repository" .repository.repositoryUri "$host/cli/web" -- create-repository --repository-name cli/web --image-tag-mutability IMMUTABLE
ecr_error "create-repository twice" RepositoryAlreadyExistsException -- create-repository --repository-name cli/web
ecr_expect "describe-repositories" '.repositories[0].imageTagMutability' IMMUTABLE -- describe-repositories --repository-names cli/web
ecr_expect "put-lifecycle-policy" .repositoryName cli/web -- put-lifecycle-policy --repository-name cli/web \
  --lifecycle-policy-text '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}'
ecr_expect "get-lifecycle-policy" '.lifecyclePolicyText | fromjson | .rules[0].rulePriority' 1 -- get-lifecycle-policy --repository-name cli/web
if pw=$(ecr get-login-password 2>&1) && [ -n "$pw" ]; then ok "ecr get-login-password"; else fail "ecr get-login-password: $pw"; fi

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  dcfg="$work/docker"; mkdir -p "$dcfg/ctx"
  if docker --config "$dcfg" login -u AWS --password-stdin "$host" <<<"wrong" >/dev/null 2>&1; then
    fail "ecr docker login with a wrong password succeeded"
  else ok "ecr docker login refuses a wrong password"; fi
  if docker --config "$dcfg" login -u AWS --password-stdin "$host" <<<"$pw" >/dev/null 2>&1; then
    ok "ecr docker login"
  else fail "ecr docker login"; fi
  printf 'hello\n' >"$dcfg/ctx/file"
  printf 'FROM scratch\nCOPY file /file\n' >"$dcfg/ctx/Dockerfile"
  if DOCKER_BUILDKIT=0 docker --config "$dcfg" build -q -t "$host/cli/web:v1" "$dcfg/ctx" >/dev/null 2>&1 &&
    docker --config "$dcfg" push "$host/cli/web:v1" >/dev/null 2>&1; then
    ok "ecr docker push"
  else fail "ecr docker push"; fi
  ecr_expect "describe-images after push" '.imageDetails[0].imageTags[0]' v1 -- describe-images --repository-name cli/web
  ecr_error "delete-repository not empty" RepositoryNotEmptyException -- delete-repository --repository-name cli/web
  # The test's image goes, with the digest reference the push left.
  refs=$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$host/cli/web:v1" 2>/dev/null | grep "^$host/")
  docker rmi "$host/cli/web:v1" $refs >/dev/null 2>&1
fi
ecr_expect "delete-repository --force" .repository.repositoryName cli/web -- delete-repository --repository-name cli/web --force
