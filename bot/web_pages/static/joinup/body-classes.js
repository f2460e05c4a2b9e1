// Mark the body before it renders, as GOV.UK Frontend asks; a file, not inline, for the Content-Security-Policy.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
