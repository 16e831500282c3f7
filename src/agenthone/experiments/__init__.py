"""Online experiments: A/B tests of prompts and models on live traffic, analysed without fooling oneself."""
