// The reference evaluator for keydoctor's differential policy tests: reads one JSON array of
// simulations (iam-simulate's own Simulation shape) on stdin and prints one JSON array of
// answers in the same order: {"result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"}
// or {"error": ...} when iam-simulate rejects the input.
'use strict'
const { runSimulation } = require('@cloud-copilot/iam-simulate')

async function main() {
  const chunks = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk)
  }
  const simulations = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const answers = []
  for (const simulation of simulations) {
    try {
      const response = await runSimulation(simulation, {})
      if (response.resultType === 'error') {
        answers.push({ error: response.errors })
      } else {
        answers.push({ result: response.overallResult })
      }
    } catch (err) {
      answers.push({ error: String(err) })
    }
  }
  process.stdout.write(JSON.stringify(answers))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
