# IAM and STS checks through the aws CLI (sourced by scripts/cli-e2e.sh:
# ok, fail, $AWS, $url and $work come from there).

# awsq NAME JQ-EXPR WANT -- service args…   (one value of the JSON output)
awsq() { cli_expect "$@"; }
# awsq_error NAME CODE -- service args…
awsq_error() { cli_error "$@"; }

trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}'
awsq "iam create-role" .Role.Arn "arn:aws:iam::000000000000:role/cli-deployer" -- \
  iam create-role --role-name cli-deployer --assume-role-policy-document "$trust"
# The CLI decodes IAM's URL-encoded documents back into JSON.
awsq "iam get-role" '.Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS' "arn:aws:iam::000000000000:root" -- \
  iam get-role --role-name cli-deployer
awsq_error "iam create-role duplicate" EntityAlreadyExists -- iam create-role --role-name cli-deployer --assume-role-policy-document "$trust"
"$AWS" --endpoint-url "$url" iam put-role-policy --role-name cli-deployer --policy-name list \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}' \
  && ok "iam put-role-policy" || fail "iam put-role-policy"
awsq "iam get-role-policy" '.PolicyDocument.Statement[0].Action' "ecs:List*" -- iam get-role-policy --role-name cli-deployer --policy-name list
"$AWS" --endpoint-url "$url" iam attach-role-policy --role-name cli-deployer \
  --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy \
  && ok "iam attach-role-policy" || fail "iam attach-role-policy"
awsq "iam list-attached-role-policies" '.AttachedPolicies[0].PolicyName' AmazonECSTaskExecutionRolePolicy -- \
  iam list-attached-role-policies --role-name cli-deployer

awsq "sts get-caller-identity" .Arn "arn:aws:iam::000000000000:root" -- sts get-caller-identity
if creds=$("$AWS" --endpoint-url "$url" sts assume-role --role-arn arn:aws:iam::000000000000:role/cli-deployer \
    --role-session-name cli --output json 2>&1); then
  ok "sts assume-role"
  (
    export AWS_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId <<<"$creds") \
      AWS_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey <<<"$creds") \
      AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken <<<"$creds")
    awsq "sts get-caller-identity as the role" .Arn "arn:aws:sts::000000000000:assumed-role/cli-deployer/cli" -- sts get-caller-identity
    awsq "ecs list-clusters as the role" '.clusterArns | type' array -- ecs list-clusters
    awsq_error "ecs create-cluster as the role" AccessDeniedException -- ecs create-cluster --cluster-name denied
  ) > "$work/iam-role.out"
  cat "$work/iam-role.out"
  passed=$((passed + $(grep -c '^ok ' "$work/iam-role.out")))
  failed=$((failed + $(grep -c '^FAIL ' "$work/iam-role.out")))
else
  fail "sts assume-role: $creds"
fi

"$AWS" --endpoint-url "$url" iam detach-role-policy --role-name cli-deployer \
  --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy \
  && "$AWS" --endpoint-url "$url" iam delete-role-policy --role-name cli-deployer --policy-name list \
  && "$AWS" --endpoint-url "$url" iam delete-role --role-name cli-deployer \
  && ok "iam delete-role" || fail "iam delete-role"
