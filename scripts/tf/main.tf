# What the seeds' Terraform does to ECS, against wharf: scripts/tf-e2e.sh
# applies it, then checks that a second plan comes out empty (a member that
# wharf drops shows up as a change on every plan).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" { type = string }
variable "desired" {
  type    = number
  default = 2
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "wharf"
  secret_key                  = "wharf"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ecs = var.endpoint
  }
}

resource "aws_ecs_capacity_provider" "asg" {
  name = "tf-asg"
  auto_scaling_group_provider {
    auto_scaling_group_arn         = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0b5f6d1e-0000-4000-8000-000000000001:autoScalingGroupName/tf-asg"
    managed_termination_protection = "DISABLED"
    managed_scaling {
      status          = "ENABLED"
      target_capacity = 80
    }
  }
  tags = { team = "platform" }
}

resource "aws_ecs_cluster" "demo" {
  name = "tf-demo"
  setting {
    name  = "containerInsights"
    value = "disabled"
  }
  tags = { env = "dev" }
}

resource "aws_ecs_cluster_capacity_providers" "demo" {
  cluster_name       = aws_ecs_cluster.demo.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT", aws_ecs_capacity_provider.asg.name]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 1
  }
}

resource "aws_ecs_task_definition" "web" {
  family                   = "tf-web"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions = jsonencode([{
    name         = "app"
    image        = "wharf-test-app:latest"
    essential    = true
    command      = ["-listen", ":8080"]
    environment  = [{ name = "GREETING", value = "hello" }]
    portMappings = [{ containerPort = 8080, hostPort = 8080, protocol = "tcp" }]
    healthCheck = {
      command     = ["CMD", "/testapp", "check", "http://127.0.0.1:8080/health"]
      interval    = 5
      timeout     = 2
      retries     = 3
      startPeriod = 1
    }
  }])
  tags = { app = "web" }
}

resource "aws_ecs_service" "web" {
  name                          = "web"
  cluster                       = aws_ecs_cluster.demo.id
  task_definition               = aws_ecs_task_definition.web.arn
  desired_count                 = var.desired
  launch_type                   = "FARGATE"
  availability_zone_rebalancing = "ENABLED"
  enable_ecs_managed_tags       = true
  propagate_tags                = "SERVICE"
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = ["subnet-local"]
    assign_public_ip = false
  }
  tags = { app = "web" }
}
