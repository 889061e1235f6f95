// Package stackcheck holds the offline checks of the two OpenTofu stacks
// (stacks/cluster, stacks/platform): init, validate, `tofu test`, and plans
// of each stack in each of its environments, run with the test provider.
// It has no code of its own; everything is in its tests.
package stackcheck
