# The services around ECS as the seeds' Terraform writes them, against
# wharf: IAM roles and policies, ECR, CloudWatch Logs and alarms,
# Application Auto Scaling, EventBridge rules and Scheduler schedules that
# run tasks. scripts/tf-e2e.sh applies it, checks that a second plan is
# empty (a member that wharf drops or rewrites shows up as a change), then
# destroys it.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" { type = string }
# The update pass bumps it: every resource that reads it must update in place.
variable "step" {
  type    = number
  default = 1
}
# With `wharf up --auth`, the root keys from DATA_DIR/credentials.
variable "access_key" {
  type    = string
  default = "wharf"
}
variable "secret_key" {
  type    = string
  default = "wharf"
}

provider "aws" {
  region                  = "us-east-1"
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  skip_region_validation  = true
  endpoints {
    applicationautoscaling = var.endpoint
    cloudwatch             = var.endpoint
    ecr                    = var.endpoint
    ecs                    = var.endpoint
    events                 = var.endpoint
    iam                    = var.endpoint
    logs                   = var.endpoint
    scheduler              = var.endpoint
    secretsmanager         = var.endpoint
    ssm                    = var.endpoint
    sts                    = var.endpoint
  }
}

data "aws_caller_identity" "me" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy" "execution" {
  name = "AmazonECSTaskExecutionRolePolicy"
}

locals {
  account = data.aws_caller_identity.me.account_id
  region  = "us-east-1"
}

# --- IAM: the execution role and the task role --------------------------

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "tf-svc-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = { app = "api" }
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# The execution role also reads the task's secrets, written with a policy
# document data source as most modules do.
data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    resources = [aws_secretsmanager_secret.db.arn, aws_ssm_parameter.greeting.arn]
  }
  statement {
    sid       = "Decrypt"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# The EC2 launch type's instance role, as ECS users still write it.
resource "aws_iam_role" "instance" {
  name = "tf-svc-ecs-instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "instance" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_instance_profile" "instance" {
  name = "tf-svc-ecs-instance"
  role = aws_iam_role.instance.name
}

# A deploy user for CI, in a group with a managed policy.
resource "aws_iam_user" "deploy" {
  name = "tf-svc-deploy"
  tags = { purpose = "ci" }
}

resource "aws_iam_group" "deployers" {
  name = "tf-svc-deployers"
}

resource "aws_iam_group_membership" "deployers" {
  name  = "tf-svc-deployers"
  group = aws_iam_group.deployers.name
  users = [aws_iam_user.deploy.name]
}

resource "aws_iam_group_policy_attachment" "deployers" {
  group      = aws_iam_group.deployers.name
  policy_arn = aws_iam_policy.ssm_read.arn
}

resource "aws_iam_user_policy" "deploy" {
  name = "deploy"
  user = aws_iam_user.deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ecs:UpdateService", "ecs:RegisterTaskDefinition", "ecr:*"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name
}

resource "aws_iam_role" "task" {
  name = "tf-svc-task"
  path = "/app/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  max_session_duration = 3600 * (var.step + 1)
  description          = "what the api containers may do"
  tags                 = { app = "api", step = tostring(var.step) }
}

resource "aws_iam_role_policy" "task_secrets" {
  name = "read-db-secret"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = aws_secretsmanager_secret.db.arn
    }]
  })
}

resource "aws_iam_policy" "ssm_read" {
  name        = "tf-svc-ssm-read"
  description = "read the api's parameters"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters"]
      Resource = "arn:aws:ssm:${local.region}:${local.account}:parameter/api/*"
    }]
  })
  tags = { app = "api" }
}

resource "aws_iam_role_policy_attachment" "task_ssm" {
  role       = aws_iam_role.task.name
  policy_arn = aws_iam_policy.ssm_read.arn
}

# The role EventBridge and Scheduler use to run tasks.
resource "aws_iam_role" "events" {
  name = "tf-svc-events"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["events.amazonaws.com", "scheduler.amazonaws.com"] }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "events_run_task" {
  name = "run-task"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ecs:RunTask", Resource = "*" },
      { Effect = "Allow", Action = "iam:PassRole", Resource = [aws_iam_role.execution.arn, aws_iam_role.task.arn] },
    ]
  })
}

# --- secrets and parameters the task reads ------------------------------

resource "aws_secretsmanager_secret" "db" {
  name = "tf-svc/db"
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ password = "s3cret" })
}

resource "aws_ssm_parameter" "greeting" {
  name  = "/api/greeting"
  type  = "String"
  value = "hello"
}

# --- ECR ----------------------------------------------------------------

resource "aws_ecr_repository" "api" {
  name                 = "tf-svc/api"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
  force_delete = true
  tags         = { app = "api", step = tostring(var.step) }
}

resource "aws_ecr_repository_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "pull"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.execution.arn }
      Action    = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    }]
  })
}

resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last 10 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 10 * var.step
      }
      action = { type = "expire" }
    }]
  })
}

# --- CloudWatch Logs and alarms -----------------------------------------

resource "aws_cloudwatch_log_group" "api" {
  name              = "/ecs/tf-svc-api"
  retention_in_days = var.step == 1 ? 7 : 14
  tags              = { app = "api" }
}

resource "aws_cloudwatch_query_definition" "errors" {
  name            = "tf-svc/errors"
  log_group_names = [aws_cloudwatch_log_group.api.name]
  query_string    = <<-EOQ
    fields @timestamp, @message
    | filter @message like /ERROR/
    | sort @timestamp desc
    | limit 20
  EOQ
}

resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "api-errors"
  log_group_name = aws_cloudwatch_log_group.api.name
  pattern        = "ERROR"
  metric_transformation {
    name          = "ApiErrors"
    namespace     = "TfSvc"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "tf-svc-api-errors"
  alarm_description   = "the api logs errors"
  namespace           = "TfSvc"
  metric_name         = "ApiErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  datapoints_to_alarm = 1
  threshold           = 5 * var.step
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  tags                = { app = "api" }
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "tf-svc-api-cpu-high"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 3
  threshold           = 85
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    ClusterName = aws_ecs_cluster.svc.name
    ServiceName = aws_ecs_service.api.name
  }
  alarm_actions = [aws_appautoscaling_policy.step_out.arn]
}

# An error rate with metric math: errors per request of the load balancer.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "tf-svc-api-error-rate"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 5
  treat_missing_data  = "missing"
  metric_query {
    id          = "rate"
    expression  = "100 * errors / MAX([errors, requests])"
    label       = "Error rate"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = "app/tf-svc/0123456789abcdef" }
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = "app/tf-svc/0123456789abcdef" }
    }
  }
}

# --- ECS ----------------------------------------------------------------

resource "aws_ecs_cluster" "svc" {
  name = "tf-svc"
}

resource "aws_ecs_task_definition" "api" {
  family                   = "tf-svc-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions = jsonencode([{
    name         = "api"
    image        = "${aws_ecr_repository.api.repository_url}:1.0.0"
    essential    = true
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
    secrets = [
      { name = "DB", valueFrom = aws_secretsmanager_secret.db.arn },
      { name = "GREETING", valueFrom = aws_ssm_parameter.greeting.arn },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.api.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "api"
      }
    }
  }])
}

resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = aws_ecs_cluster.svc.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  network_configuration {
    subnets = ["subnet-local"]
  }
  # Application Auto Scaling owns the count once it is registered.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

# --- Application Auto Scaling -------------------------------------------

resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.svc.name}/${aws_ecs_service.api.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 1
  max_capacity       = 3 + var.step
  tags               = { app = "api" }
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = 50 + 10 * var.step
    scale_in_cooldown  = 120
    scale_out_cooldown = 30
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "step_out" {
  name               = "api-step-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 60
    metric_aggregation_type = "Average"
    step_adjustment {
      metric_interval_lower_bound = 0
      metric_interval_upper_bound = 10
      scaling_adjustment          = 1
    }
    step_adjustment {
      metric_interval_lower_bound = 10
      scaling_adjustment          = 2
    }
  }
}

# Scaling on the memory a custom metric reports, the way the seeds track queue depth.
resource "aws_appautoscaling_policy" "backlog" {
  name               = "api-backlog"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value     = 100
    disable_scale_in = true
    customized_metric_specification {
      metric_name = "Backlog"
      namespace   = "TfSvc"
      statistic   = "Average"
      unit        = "Count"
      dimensions {
        name  = "Queue"
        value = "jobs"
      }
    }
  }
}

resource "aws_appautoscaling_scheduled_action" "morning" {
  name               = "api-morning"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  schedule           = "at(2030-01-01T08:00:00)"
  start_time         = "2029-12-31T00:00:00Z"
  end_time           = "2030-01-02T00:00:00Z"
  scalable_target_action {
    min_capacity = 2
    max_capacity = 4
  }
}

resource "aws_appautoscaling_scheduled_action" "night" {
  name               = "api-night"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  schedule           = "cron(0 22 * * ? *)"
  timezone           = "Europe/Paris"
  scalable_target_action {
    min_capacity = 1
    max_capacity = 2
  }
}

# --- EventBridge rules --------------------------------------------------

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "tf-svc-nightly"
  description         = "the batch job"
  schedule_expression = var.step == 1 ? "rate(1 day)" : "rate(12 hours)"
  state               = "ENABLED"
  tags                = { app = "batch" }
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule     = aws_cloudwatch_event_rule.nightly.name
  arn      = aws_ecs_cluster.svc.arn
  role_arn = aws_iam_role.events.arn
  ecs_target {
    task_definition_arn = aws_ecs_task_definition.api.arn
    task_count          = 1
    launch_type         = "FARGATE"
    network_configuration {
      subnets          = ["subnet-local"]
      assign_public_ip = false
    }
    enable_ecs_managed_tags = true
    propagate_tags          = "TASK_DEFINITION"
    tags                    = { job = "nightly" }
  }
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 2
  }
  input = jsonencode({ containerOverrides = [{ name = "api", command = ["batch", tostring(var.step)] }] })
}

resource "aws_cloudwatch_event_rule" "stopped" {
  name        = "tf-svc-task-stopped"
  description = "api tasks that stop"
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change"]
    detail = {
      clusterArn = [aws_ecs_cluster.svc.arn]
      lastStatus = ["STOPPED"]
    }
  })
}

resource "aws_cloudwatch_log_group" "events" {
  name              = "/aws/events/tf-svc"
  retention_in_days = 3
}

resource "aws_cloudwatch_event_target" "stopped" {
  rule      = aws_cloudwatch_event_rule.stopped.name
  target_id = "to-logs"
  arn       = aws_cloudwatch_log_group.events.arn
  input_transformer {
    input_paths = {
      task   = "$.detail.taskArn"
      reason = "$.detail.stoppedReason"
    }
    input_template = <<-EOT
      {"task": <task>, "reason": <reason>}
    EOT
  }
}

# --- EventBridge Scheduler ----------------------------------------------

resource "aws_scheduler_schedule_group" "jobs" {
  name = "tf-svc-jobs"
  tags = { app = "batch" }
}

resource "aws_scheduler_schedule" "report" {
  name                         = "tf-svc-report"
  group_name                   = aws_scheduler_schedule_group.jobs.name
  description                  = "the weekday report"
  schedule_expression          = var.step == 1 ? "cron(30 6 ? * MON-FRI *)" : "cron(0 7 ? * MON-FRI *)"
  start_date                   = "2026-01-01T00:00:00Z"
  end_date                     = "2035-01-01T00:00:00Z"
  state                        = "ENABLED"
  schedule_expression_timezone = "Europe/Paris"
  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }
  target {
    arn      = aws_ecs_cluster.svc.arn
    role_arn = aws_iam_role.events.arn
    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.api.arn
      launch_type         = "FARGATE"
      task_count          = 1
      propagate_tags      = "TASK_DEFINITION"
      tags                = { job = "report" }
      network_configuration {
        subnets          = ["subnet-local"]
        assign_public_ip = false
      }
    }
    input = jsonencode({ containerOverrides = [{ name = "api", command = ["report"] }] })
    retry_policy {
      maximum_event_age_in_seconds = 600
      maximum_retry_attempts       = 3
    }
  }
}

# A one-off at() schedule in the default group.
resource "aws_scheduler_schedule" "once" {
  name                = "tf-svc-once"
  schedule_expression = "at(2030-06-01T12:00:00)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_ecs_cluster.svc.arn
    role_arn = aws_iam_role.events.arn
    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.api.arn
      launch_type         = "FARGATE"
      network_configuration {
        subnets = ["subnet-local"]
      }
    }
  }
}

# --- more of what ECS modules write ---------------------------------------
# ECS's service-linked role, a custom event bus with a content-filtered
# rule running a task, a SecureString parameter, a secret deleted without
# recovery, data sources reading back what was made, memory tracking.

resource "aws_iam_service_linked_role" "ecs" {
  aws_service_name = "ecs.amazonaws.com"
}

resource "aws_cloudwatch_event_bus" "app" {
  name = "tf-svc-app"
  tags = { app = "api" }
}

resource "aws_cloudwatch_event_rule" "orders" {
  name           = "tf-svc-orders"
  event_bus_name = aws_cloudwatch_event_bus.app.name
  event_pattern = jsonencode({
    source      = ["com.example.orders"]
    detail-type = [{ prefix = "Order" }]
    detail      = { amount = [{ numeric = [">", 100] }], region = [{ "anything-but" = ["cn-north-1"] }] }
  })
}

resource "aws_cloudwatch_event_target" "orders" {
  rule           = aws_cloudwatch_event_rule.orders.name
  event_bus_name = aws_cloudwatch_event_bus.app.name
  arn            = aws_ecs_cluster.svc.arn
  role_arn       = aws_iam_role.events.arn
  ecs_target {
    task_definition_arn = aws_ecs_task_definition.api.arn
    launch_type         = "FARGATE"
    network_configuration {
      subnets = ["subnet-local"]
    }
  }
  input_transformer {
    input_paths    = { id = "$.detail.id" }
    input_template = "{\"containerOverrides\":[{\"name\":\"api\",\"environment\":[{\"name\":\"ORDER\",\"value\":<id>}]}]}"
  }
}

resource "aws_ssm_parameter" "token" {
  name  = "/api/token"
  type  = "SecureString"
  value = "t0ken"
  tags  = { app = "api" }
}

resource "aws_secretsmanager_secret" "api_key" {
  name                    = "tf-svc/api-key"
  recovery_window_in_days = 0
  description             = "the api key"
}

data "aws_ecr_repository" "api" {
  name = aws_ecr_repository.api.name
}

data "aws_iam_role" "execution" {
  name = aws_iam_role.execution.name
}

resource "aws_cloudwatch_log_group" "batch" {
  name              = "/ecs/tf-svc-batch"
  retention_in_days = 30
  log_group_class   = "STANDARD"
}

resource "aws_appautoscaling_policy" "mem" {
  name               = "api-mem"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 75
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
