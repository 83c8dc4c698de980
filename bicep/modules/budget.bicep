// An optional monthly cost budget on the resource group, e-mailing at 80 % of the amount
// actually spent and at 100 % forecast. A budget only warns: it stops nothing.

@description('Budget name.')
param name string

@description('Monthly amount, in the billing currency of the subscription.')
@minValue(1)
param amount int

@description('Addresses notified.')
@minLength(1)
param contactEmails string[]

@description('First day of the budget\'s first month, yyyy-MM-01, within the current month or later. Azure refuses to change it once the budget exists, so it is a fixed value, never "this month".')
param startDate string

resource budget 'Microsoft.Consumption/budgets@2024-08-01' = {
  name: name
  properties: {
    category: 'Cost'
    amount: amount
    timeGrain: 'Monthly'
    timePeriod: {
      startDate: startDate
    }
    notifications: {
      actual80: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 80
        thresholdType: 'Actual'
        contactEmails: contactEmails
      }
      forecast100: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 100
        thresholdType: 'Forecasted'
        contactEmails: contactEmails
      }
    }
  }
}

@description('Resource id of the budget.')
output id string = budget.id
