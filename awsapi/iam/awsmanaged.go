package iam

import "github.com/wharfhq/wharf/iampolicy"

// awsManaged are the AWS managed policies wharf knows, with their
// documents as AWS's managed policy reference gives them: the ones ECS
// users attach to task, execution and deployer roles. They are
// attachable in every account (arn:aws:iam::aws:policy/…) and read-only.
// AmazonECS_FullAccess is trimmed to its ECS and companion-service
// statements (AWS's document also grants the console's dozens of
// read-only calls on other services).
var awsManaged = []awsPolicy{
	{Name: "AdministratorAccess", Path: "/", Version: "v1", Description: "Provides full access to AWS services and resources.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
}`},
	{Name: "AmazonECSTaskExecutionRolePolicy", Path: "/service-role/", Version: "v1",
		Description: "Provides access to other AWS service resources that are required to run Amazon ECS tasks", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": [
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchGetImage",
      "logs:CreateLogStream",
      "logs:PutLogEvents"
    ],
    "Resource": "*"
  }]
}`},
	// The container instance role of the EC2 launch type (the document of
	// the v7 era: the agent's calls, ECR pulls, awslogs).
	{Name: "AmazonEC2ContainerServiceforEC2Role", Path: "/service-role/", Version: "v7",
		Description: "Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ec2:DescribeTags",
        "ecs:CreateCluster",
        "ecs:DeregisterContainerInstance",
        "ecs:DiscoverPollEndpoint",
        "ecs:Poll",
        "ecs:RegisterContainerInstance",
        "ecs:StartTelemetrySession",
        "ecs:UpdateContainerInstancesState",
        "ecs:Submit*",
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": "ecs:TagResource",
      "Resource": "*",
      "Condition": {"StringEquals": {"ecs:CreateAction": ["CreateCluster", "RegisterContainerInstance"]}}
    }
  ]
}`},
	// The role EventBridge rules and Scheduler schedules run tasks with.
	{Name: "AmazonEC2ContainerServiceEventsRole", Path: "/service-role/", Version: "v3",
		Description: "Policy to enable CloudWatch Events for EC2 Container Service", Doc: `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": ["*"]},
    {
      "Effect": "Allow",
      "Action": "iam:PassRole",
      "Resource": ["*"],
      "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    },
    {
      "Effect": "Allow",
      "Action": "ecs:TagResource",
      "Resource": "*",
      "Condition": {"StringEquals": {"ecs:CreateAction": ["RunTask"]}}
    }
  ]
}`},
	// Service auto scaling's role before the service-linked role existed.
	{Name: "AmazonEC2ContainerServiceAutoscaleRole", Path: "/service-role/", Version: "v2",
		Description: "Policy to enable Task Autoscaling for Amazon EC2 Container Service", Doc: `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"], "Resource": ["*"]},
    {"Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"], "Resource": ["*"]}
  ]
}`},
	// The classic load balancer service role.
	{Name: "AmazonEC2ContainerServiceRole", Path: "/service-role/", Version: "v2",
		Description: "Default policy for Amazon ECS service role.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": [
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:Describe*",
      "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
      "elasticloadbalancing:DeregisterTargets",
      "elasticloadbalancing:Describe*",
      "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
      "elasticloadbalancing:RegisterTargets"
    ],
    "Resource": "*"
  }]
}`},
	{Name: "AmazonEC2ContainerRegistryReadOnly", Path: "/", Version: "v3",
		Description: "Provides read-only access to Amazon EC2 Container Registry repositories.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": [
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetRepositoryPolicy",
      "ecr:DescribeRepositories",
      "ecr:ListImages",
      "ecr:DescribeImages",
      "ecr:BatchGetImage",
      "ecr:GetLifecyclePolicy",
      "ecr:GetLifecyclePolicyPreview",
      "ecr:ListTagsForResource",
      "ecr:DescribeImageScanFindings"
    ],
    "Resource": "*"
  }]
}`},
	{Name: "CloudWatchLogsFullAccess", Path: "/", Version: "v2", Description: "Provides full access to CloudWatch Logs", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "CloudWatchLogsFullAccess",
    "Effect": "Allow",
    "Action": ["logs:*", "cloudwatch:GenerateQuery"],
    "Resource": "*"
  }]
}`},
	{Name: "SecretsManagerReadWrite", Path: "/", Version: "v5",
		Description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "BasePermissions",
      "Effect": "Allow",
      "Action": [
        "secretsmanager:*",
        "cloudformation:CreateChangeSet",
        "cloudformation:DescribeChangeSet",
        "cloudformation:DescribeStackResource",
        "cloudformation:DescribeStacks",
        "cloudformation:ExecuteChangeSet",
        "docdb-elastic:GetCluster",
        "docdb-elastic:ListClusters",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "kms:DescribeKey",
        "kms:ListAliases",
        "kms:ListKeys",
        "lambda:ListFunctions",
        "rds:DescribeDBClusters",
        "rds:DescribeDBInstances",
        "redshift:DescribeClusters",
        "redshift-serverless:ListWorkgroups",
        "redshift-serverless:GetNamespace",
        "tag:GetResources"
      ],
      "Resource": "*"
    },
    {
      "Sid": "LambdaPermissions",
      "Effect": "Allow",
      "Action": [
        "lambda:AddPermission",
        "lambda:CreateFunction",
        "lambda:GetFunction",
        "lambda:InvokeFunction",
        "lambda:UpdateFunctionConfiguration"
      ],
      "Resource": "arn:aws:lambda:*:*:function:SecretsManager*"
    },
    {
      "Sid": "SARPermissions",
      "Effect": "Allow",
      "Action": ["serverlessrepo:CreateCloudFormationChangeSet", "serverlessrepo:GetApplication"],
      "Resource": "arn:aws:serverlessrepo:*:*:applications/SecretsManager*"
    },
    {
      "Sid": "S3Permissions",
      "Effect": "Allow",
      "Action": ["s3:GetObject"],
      "Resource": ["arn:aws:s3:::awsserverlessrepo-changesets*", "arn:aws:s3:::secrets-manager-rotation-apps-*/*"]
    }
  ]
}`},
	{Name: "AmazonSSMReadOnlyAccess", Path: "/", Version: "v1", Description: "Provides read only access to Amazon SSM.", Doc: `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*"}]
}`},
	{Name: "AmazonECS_FullAccess", Path: "/", Version: "v1",
		Description: "Provides administrative access to Amazon ECS resources (wharf: trimmed to the ECS and companion services' statements).", Doc: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ECSIntegrationsManagementPolicy",
      "Effect": "Allow",
      "Action": [
        "application-autoscaling:*",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "cloudwatch:PutMetricAlarm",
        "ecs:*",
        "elasticloadbalancing:*",
        "events:DescribeRule",
        "events:DeleteRule",
        "events:ListRuleNamesByTarget",
        "events:ListTargetsByRule",
        "events:PutRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "logs:CreateLogGroup",
        "logs:DescribeLogGroups",
        "logs:FilterLogEvents",
        "servicediscovery:*",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "tag:GetResources"
      ],
      "Resource": "*"
    },
    {
      "Sid": "IAMPassRoleForECS",
      "Effect": "Allow",
      "Action": "iam:PassRole",
      "Resource": "*",
      "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    },
    {
      "Sid": "ServiceLinkedRoleForECS",
      "Effect": "Allow",
      "Action": "iam:CreateServiceLinkedRole",
      "Resource": "*",
      "Condition": {"StringLike": {"iam:AWSServiceName": "ecs.amazonaws.com"}}
    }
  ]
}`},
}

// awsPolicy is one AWS managed policy.
type awsPolicy struct {
	Name, Path, Version, Description, Doc string
	parsed                                *iampolicy.Policy
}

// awsByARN indexes awsManaged by ARN, each document parsed once.
var awsByARN = func() map[string]*awsPolicy {
	m := make(map[string]*awsPolicy, len(awsManaged))
	for i := range awsManaged {
		p := &awsManaged[i]
		p.parsed = iampolicy.MustParse(p.Doc, iampolicy.Identity)
		m["arn:aws:iam::aws:policy"+p.Path+p.Name] = p
	}
	return m
}()
