"""The policy language: closed vocabulary, schemas, validated frozen policy documents."""
