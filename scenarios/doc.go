// Package scenarios embeds the contract suite: one YAML file per scenario, covering
// every rule of the real service's behaviour and every status the document lists.
// The format is described in package contract and the README.
package scenarios
